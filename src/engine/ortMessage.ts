// onnxruntime's errors as one line a user can read: its WebAssembly build wraps the C++ message in
// "Can't create a session. ERROR_CODE: 1, ERROR_MESSAGE: …", prefixes it with the source file, line
// and function signature of its build machine, and ends it with a newline.
import { errorText } from '../util/unknown';

/** The reason onnxruntime gives, without its wrapper, build paths, signatures or line breaks. */
export function ortMessage(error: unknown): string {
  let message = errorText(error);
  const wrapped = message.indexOf('ERROR_MESSAGE: ');
  if (wrapped >= 0) message = message.slice(wrapped + 'ERROR_MESSAGE: '.length);
  message = message
    .trim()
    // "/…/onnxruntime/core/graph/model.cc:197 onnxruntime::Model::Model(ModelProto &&, …) "
    .replace(/^\S+\.(?:cc|cpp|h):\d+ /, '')
    .replace(/^[\w:~<>]+\([^)]*\)(?: const)? /, '');
  return message.replace(/\s+/g, ' ').trim() || 'no reason given';
}
