#!/usr/bin/env bash
# Single-node Ceph radosgw (memstore) as a local, versioned S3 for the integration tests.
# See /work/shared/reference/local-aws.md, Appendix A. No systemd; everything lives in DIR.
#
#   radosgw.sh install      install the Debian packages if radosgw is missing (root + apt-get)
#   radosgw.sh start DIR    start mon + osd + rgw in DIR; S3 user testkey/testsecret
#   radosgw.sh stop DIR     stop the daemons started in DIR (by pid file) and wait for them to exit
#
# Environment for start: RGW_PORT (7480), MON_PORT (6789), RGW_MEMSTORE_BYTES (1073741824 = 1 GiB),
# RGW_START_TIMEOUT (seconds per wait, 60).
# Two clusters can run at once when they use different DIRs and ports; the OSD picks its own free
# ports in Ceph's 6800-7300 range.
set -euo pipefail

readonly PACKAGES=(radosgw ceph-mon ceph-osd ceph-common uuid-runtime curl)
readonly COMMANDS=(radosgw radosgw-admin ceph ceph-mon ceph-osd ceph-authtool monmaptool uuidgen curl timeout)
readonly ACCESS_KEY=testkey SECRET_KEY=testsecret

die() { echo "radosgw.sh: $*" >&2; exit 1; }

missing_commands() {
  local c out=()
  for c in "${COMMANDS[@]}"; do command -v "$c" >/dev/null 2>&1 || out+=("$c"); done
  echo "${out[*]}"
}

cmd_install() {
  local missing; missing=$(missing_commands)
  [ -z "$missing" ] && { echo "radosgw.sh: already installed ($(radosgw --version 2>/dev/null | head -1))"; return 0; }
  local hint="apt-get update && apt-get install -y --no-install-recommends ${PACKAGES[*]}"
  if [ "$(id -u)" -ne 0 ]; then die "missing: $missing. Run as root: sudo sh -c '$hint'"; fi
  command -v apt-get >/dev/null 2>&1 || die "missing: $missing, and apt-get is not available. Install the Ceph packages (${PACKAGES[*]}) with your OS package manager."
  echo "radosgw.sh: installing ${PACKAGES[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${PACKAGES[@]}" >/dev/null
  missing=$(missing_commands)
  [ -z "$missing" ] || die "still missing after apt-get install: $missing"
  echo "radosgw.sh: installed ($(radosgw --version | head -1))"
}

# running PID: true while PID is a live process. A zombie counts as gone: daemons are re-parented to PID 1,
# which may take a while to reap them, and a zombie holds no ports or memory.
running() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  [ "${stat%% *}" != Z ]
}

# pid_alive DIR/run/NAME.pid: true when the file names a running daemon of the cluster in DIR. The command line
# must name DIR/ceph.conf, so that a stale pid file never gets a recycled pid (another program) killed.
pid_alive() {
  local pid conf=${1%/run/*}/ceph.conf
  [ -s "$1" ] || return 1
  pid=$(cat "$1")
  running "$pid" && tr '\0' '\n' <"/proc/$pid/cmdline" 2>/dev/null | grep -qxF "$conf"
}

port_busy() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_for WHAT LOG PIDFILE CMD...: retry CMD every 0.5 s until it succeeds, the daemon dies, or the timeout.
wait_for() {
  local what=$1 log=$2 pidfile=$3; shift 3
  local deadline=$((SECONDS + ${RGW_START_TIMEOUT:-60}))
  until "$@" >/dev/null 2>&1; do
    if [ -n "$pidfile" ] && [ -e "$pidfile" ] && ! pid_alive "$pidfile"; then
      die "$what died during start-up; see $log"
    fi
    [ "$SECONDS" -lt "$deadline" ] || die "$what not ready after ${RGW_START_TIMEOUT:-60}s; see $log"
    sleep 0.5
  done
}

write_conf() {
  local dir=$1 fsid=$2
  cat >"$dir/ceph.conf" <<EOF
[global]
fsid = $fsid
mon initial members = a
mon host = v1:127.0.0.1:$MON_PORT
auth cluster required = none
auth service required = none
auth client required = none
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
mon warn on pool no redundancy = false
osd pool default pg num = 8
osd pool default pgp num = 8
osd pool default pg autoscale mode = off
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd crush chooseleaf type = 0
# The script places the OSD in the CRUSH map itself: an OSD that sends these commands while starting can race
# its monitor client ("wrong fsid", the OSD then exits).
osd crush update on start = false
osd class update on start = false
ms bind ipv6 = false
ms bind msgr2 = false
# A throwaway single-node cluster: commit monitor changes at once instead of batching them for 1 s
# (radosgw creates its pools one by one at start-up; this makes the start several seconds faster).
paxos propose interval = 0.01
paxos min wait = 0.01
run dir = $dir/run
log file = $dir/log/\$name.log
admin socket = $dir/run/\$name.asok
pid file = $dir/run/\$name.pid
mon data = $dir/mon/\$cluster-\$id
osd data = $dir/osd/\$cluster-\$id
keyring = $dir/keyring
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$RGW_PORT
rgw data = $dir/rgw
EOF
}

# EXIT trap while starting: a failed start stops whatever it had started.
on_start_exit() {
  local rc=$?
  [ "$rc" -eq 0 ] && return 0
  echo "radosgw.sh: start failed; stopping the daemons in $START_DIR (logs in $START_DIR/log)" >&2
  cmd_stop "$START_DIR" >&2 || true
  exit "$rc"
}

cmd_start() {
  local dir=${1:?usage: radosgw.sh start DIR}
  RGW_PORT=${RGW_PORT:-7480} MON_PORT=${MON_PORT:-6789} MEMSTORE_BYTES=${RGW_MEMSTORE_BYTES:-1073741824}
  [ -z "$(missing_commands)" ] || die "not installed (missing: $(missing_commands)). Run: bash local/radosgw.sh install"
  [[ $RGW_PORT =~ ^[0-9]+$ && $MON_PORT =~ ^[0-9]+$ && $MEMSTORE_BYTES =~ ^[0-9]+$ ]] \
    || die "RGW_PORT, MON_PORT and RGW_MEMSTORE_BYTES must be integers"
  mkdir -p "$dir" && dir=$(cd "$dir" && pwd -P)
  local f
  for f in "$dir"/run/*.pid; do
    if pid_alive "$f"; then die "a cluster is already running in $dir; run: bash local/radosgw.sh stop $dir"; fi
  done
  local p
  for p in "$RGW_PORT" "$MON_PORT"; do port_busy "$p" && die "port $p on 127.0.0.1 is already in use"; done
  rm -rf "$dir"/{run,log,mon,osd,rgw} "$dir"/{ceph.conf,keyring,monmap}
  mkdir -p "$dir"/{run,log,mon,osd,rgw}
  local conf=$dir/ceph.conf log=$dir/log fsid started=$SECONDS
  fsid=$(uuidgen)
  write_conf "$dir" "$fsid"
  # On any failure, stop what was started, so no daemon outlives a failed start.
  START_DIR=$dir
  trap on_start_exit EXIT

  ceph-authtool --create-keyring "$dir/keyring" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  # --addv with an explicit v1 address: a plain --add treats any port other than 6789 as msgr2.
  monmaptool --create --addv a "[v1:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$dir/monmap" >/dev/null
  ceph-mon -c "$conf" --mkfs -i a --monmap "$dir/monmap" --keyring "$dir/keyring" >>"$log/setup.log" 2>&1 \
    || die "ceph-mon --mkfs failed; see $log/setup.log"
  ceph-mon -c "$conf" -i a >>"$log/setup.log" 2>&1 || die "ceph-mon failed to start; see $log/mon.a.log"
  local ceph=(timeout 20 ceph -c "$conf" --connect-timeout 15)
  wait_for "ceph-mon" "$log/mon.a.log" "$dir/run/mon.a.pid" "${ceph[@]}" mon stat
  # A mon that just answered `mon stat` can still refuse commands for a moment ("problem getting command
  # descriptions", seen when several clusters start on a loaded machine): retry for a while before giving up.
  local id="" tries=0
  until id=$("${ceph[@]}" osd create 2>>"$log/setup.log"); do
    tries=$((tries + 1))
    [ "$tries" -lt 20 ] || die "ceph osd create failed; see $log/setup.log"
    sleep 1
  done
  # The same mon hiccup can hit the next command too (seen on a machine with a load of 40).
  tries=0
  until "${ceph[@]}" osd crush add "osd.$id" 1.0 root=default host=localhost >>"$log/setup.log" 2>&1; do
    tries=$((tries + 1))
    [ "$tries" -lt 20 ] || die "ceph osd crush add failed; see $log/setup.log"
    sleep 1
  done
  mkdir -p "$dir/osd/ceph-$id"
  ceph-osd -c "$conf" -i "$id" --mkfs >>"$log/setup.log" 2>&1 || die "ceph-osd --mkfs failed; see $log/osd.$id.log"
  ceph-osd -c "$conf" -i "$id" >>"$log/setup.log" 2>&1 || die "ceph-osd failed to start; see $log/osd.$id.log"
  wait_for "ceph-osd" "$log/osd.$id.log" "$dir/run/osd.$id.pid" \
    bash -c '"$@" osd stat | grep -q " 1 up"' _ "${ceph[@]}"
  radosgw -c "$conf" -n client.rgw.a >>"$log/setup.log" 2>&1 || die "radosgw failed to start; see $log/client.rgw.a.log"
  wait_for "radosgw" "$log/client.rgw.a.log" "$dir/run/client.rgw.a.pid" \
    curl -sf -o /dev/null --max-time 5 "http://127.0.0.1:$RGW_PORT/"
  timeout 60 radosgw-admin -c "$conf" user create --uid=test --display-name=test \
    --access-key="$ACCESS_KEY" --secret="$SECRET_KEY" >>"$log/setup.log" 2>&1 \
    || die "radosgw-admin user create failed; see $log/setup.log"
  trap - EXIT
  echo "radosgw.sh: ready at http://127.0.0.1:$RGW_PORT in $((SECONDS - started))s (dir $dir, keys $ACCESS_KEY/$SECRET_KEY)"
}

# stop_daemon PIDFILE SIGNAL: send SIGNAL, wait up to 15 s for the process to exit, then SIGKILL it.
stop_daemon() {
  local pidfile=$1 sig=$2 pid deadline
  pid_alive "$pidfile" || return 1
  pid=$(cat "$pidfile")
  kill "-$sig" "$pid" 2>/dev/null || true
  deadline=$((SECONDS + 15))
  while running "$pid"; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "radosgw.sh: $(basename "$pidfile" .pid) (pid $pid) ignored SIG$sig for 15s; killing it" >&2
      kill -KILL "$pid" 2>/dev/null || true
      deadline=$((SECONDS + 5))
      while running "$pid" && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
      break
    fi
    sleep 0.1
  done
}

cmd_stop() {
  local dir=${1:?usage: radosgw.sh stop DIR}
  [ -d "$dir/run" ] || { echo "radosgw.sh: nothing to stop in $dir"; return 0; }
  dir=$(cd "$dir" && pwd -P) # the same absolute path that start wrote into the daemons' command lines
  local f n=0
  # One daemon at a time, clients before the services they talk to. The cluster is thrown away, so radosgw and
  # the OSD get SIGKILL: on SIGTERM radosgw often idles ~5 s in its shutdown, and a memstore OSD first writes its
  # whole store into DIR (gigabytes after a benchmark).
  for f in "$dir"/run/client.*.pid; do stop_daemon "$f" KILL && n=$((n + 1)); done
  for f in "$dir"/run/osd.*.pid; do stop_daemon "$f" KILL && n=$((n + 1)); done
  for f in "$dir"/run/mon.*.pid; do stop_daemon "$f" TERM && n=$((n + 1)); done
  rm -f "$dir"/run/*.pid "$dir"/run/*.asok
  echo "radosgw.sh: stopped $n daemon(s) in $dir"
}

case "${1:-}" in
  install) cmd_install ;;
  start) shift; cmd_start "$@" ;;
  stop) shift; cmd_stop "$@" ;;
  *) echo "usage: radosgw.sh install | start DIR | stop DIR" >&2; exit 2 ;;
esac
