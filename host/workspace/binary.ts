/** A NUL byte this early means a binary file: text formats do not contain one. */
const BINARY_SNIFF_BYTES = 8000;

/** Whether file content looks binary, the way git decides it. */
export function looksBinary(bytes: Uint8Array): boolean {
  return bytes.subarray(0, BINARY_SNIFF_BYTES).includes(0);
}
