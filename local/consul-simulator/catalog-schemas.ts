/**
 * Go struct schemas of the catalog parts of Register records (state-bin.md §5.2): the proxy configuration of a
 * NodeService and the health check with its definition (newest CE field sets).
 */
import { map, slice, strings, struct } from './go-schema';

const meshGateway = struct('structs.MeshGatewayConfig', { Mode: 'string' });
/** `agent/structs/connect_proxy_config.go` `ConnectProxyConfig` and its parts (newest field set). */
export const connectProxyConfig = struct('structs.ConnectProxyConfig', {
  EnvoyExtensions: slice(struct('structs.EnvoyExtension', { Name: 'string', Required: 'bool', Arguments: map('any'), ConsulVersion: 'string', EnvoyVersion: 'string' })),
  DestinationServiceName: 'string',
  DestinationServiceID: 'string',
  LocalServiceAddress: 'string',
  LocalServicePort: 'int',
  LocalServiceSocketPath: 'string',
  Mode: 'string',
  Config: map('any'),
  Upstreams: slice(
    struct('structs.Upstream', {
      DestinationType: 'string',
      DestinationNamespace: 'string',
      DestinationPartition: 'string',
      DestinationPeer: 'string',
      DestinationName: 'string',
      Datacenter: 'string',
      LocalBindAddress: 'string',
      LocalBindPort: 'int',
      LocalBindSocketPath: 'string',
      LocalBindSocketMode: 'string',
      Config: map('any'),
      MeshGateway: meshGateway,
      IngressHosts: strings,
      CentrallyConfigured: 'bool',
    }),
  ),
  MeshGateway: meshGateway,
  Expose: struct('structs.ExposeConfig', {
    Checks: 'bool',
    Paths: slice(struct('structs.ExposePath', { ListenerPort: 'int', Path: 'string', LocalPathPort: 'int', Protocol: 'string', ParsedFromCheck: 'bool' })),
  }),
  TransparentProxy: struct('structs.TransparentProxyConfig', { OutboundListenerPort: 'int', DialedDirectly: 'bool' }),
  AccessLogs: struct('structs.AccessLogsConfig', {
    Enabled: 'bool',
    DisableListenerLogs: 'bool',
    Type: 'string',
    Path: 'string',
    JSONFormat: 'string',
    TextFormat: 'string',
  }),
});

/** `structs.HealthCheckDefinition` (newest field set; durations are int nanoseconds). */
const healthCheckDefinition = struct('structs.HealthCheckDefinition', {
  HTTP: 'string',
  TLSServerName: 'string',
  TLSSkipVerify: 'bool',
  Header: map(strings),
  Method: 'string',
  Body: 'string',
  DisableRedirects: 'bool',
  TCP: 'string',
  UDP: 'string',
  H2PING: 'string',
  OSService: 'string',
  H2PingUseTLS: 'bool',
  Interval: 'duration',
  OutputMaxSize: 'int',
  Timeout: 'duration',
  DeregisterCriticalServiceAfter: 'duration',
  ScriptArgs: strings,
  DockerContainerID: 'string',
  Shell: 'string',
  GRPC: 'string',
  GRPCUseTLS: 'bool',
  AliasNode: 'string',
  AliasService: 'string',
  TTL: 'duration',
});

/** `structs.HealthCheck`. */
export const healthCheck = struct('structs.HealthCheck', {
  Node: 'string',
  CheckID: 'string',
  Name: 'string',
  Status: 'string',
  Notes: 'string',
  Output: 'string',
  ServiceID: 'string',
  ServiceName: 'string',
  ServiceTags: strings,
  Type: 'string',
  Interval: 'string',
  Timeout: 'string',
  ExposedPort: 'int',
  PeerName: 'string',
  Definition: healthCheckDefinition,
  CreateIndex: 'int',
  ModifyIndex: 'int',
});

