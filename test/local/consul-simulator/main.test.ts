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

  it.each([
    [['--acl-default', 'maybe'], /--acl-default must be allow or deny/],
    [['--port', '70000'], /--port must be 0-65535/],
    [['--bogus'], /unknown flag --bogus/],
    [['--port'], /--port needs a value/],
  ])('rejects %j with a usage hint', (argv, message) => {
    expect(() => parseArgs(argv as string[])).toThrow(message);
  });
});
