/**
 * The worker thread of {@link createThreadedVerifyingPass} (`verify-thread.ts`), bundled as `verify-worker.js` next to
 * the CLI bundle (`scripts/build-cli.js`) and the take-snapshot Lambda's. It runs the inline pass,
 * `createVerifyingPass`, on the bytes the main thread posts, acknowledges each write once processed (the main thread
 * may then reuse that memory) and reports the verdict, or the first error, once.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createVerifyingPass, type PassDecoderOptions } from '../core/snapshot-contents';
import { toThreadError, type FromVerifyThread, type ToVerifyThread } from './verify-thread';

function run(port: NonNullable<typeof parentPort>, decode: PassDecoderOptions | undefined): void {
  const pass = createVerifyingPass(decode);
  const send = (message: FromVerifyThread): void => port.postMessage(message);
  pass.verifier.result.catch((err: unknown) => send({ t: 'fail', error: toThreadError(err) }));
  port.on('message', (message: ToVerifyThread) => {
    if (message.t === 'end') {
      pass.verifier.end().then(
        (verified) => {
          try {
            send({ t: 'done', verified, contents: pass.contents() });
          } catch (err) {
            send({ t: 'done', verified, contentsError: toThreadError(err) });
          }
        },
        () => undefined, // reported by the `result` handler above
      );
      return;
    }
    const bytes = 'sab' in message ? Buffer.from(message.sab, message.offset, message.length) : Buffer.from(message.bytes.buffer, message.bytes.byteOffset, message.bytes.byteLength);
    pass.verifier.write(bytes).then(
      () => send({ t: 'ack', id: message.id }),
      () => undefined,
    );
  });
}

if (parentPort) run(parentPort, (workerData as { decode?: PassDecoderOptions } | undefined)?.decode);
