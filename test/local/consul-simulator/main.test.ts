import { parseArgs } from '../../../local/consul-simulator/main';

describe('consul simulator CLI: parseArgs', () => {
  it('maps flags to simulator options', () => {
    expect(parseArgs(['--port', '8500', '--acl-default', 'allow', '--client-agent', '--no-leader'])).toEqual({
      port: 8500,
      defaultPolicy: 'allow',
      agentKind: 'client',
      leader: false,
    });
  });

  it('takes a Consul version and a primary datacenter', () => {
    expect(parseArgs(['--consul-version', '1.15.11', '--dc', 'dc2', '--primary-dc', 'dc1'])).toEqual({
      consulVersion: '1.15.11',
      datacenter: 'dc2',
      primaryDatacenter: 'dc1',
    });
  });

  it.each([
    [['--consul-version', '1.14.0'], /^--consul-version: consulVersion 1\.14\.0 is older than the oldest simulated Consul \(1\.15\.0\); use 1\.15\.0 or newer\n/],
    [['--consul-version', 'latest'], /^--consul-version: consulVersion must look like/],
    [['--acl-default', 'maybe'], /--acl-default must be allow or deny/],
    [['--port', '70000'], /--port must be 0-65535/],
    [['--bogus'], /unknown flag --bogus/],
    [['--port'], /--port needs a value/],
  ])('rejects %j with a usage hint', (argv, message) => {
    expect(() => parseArgs(argv as string[])).toThrow(message);
  });
});
