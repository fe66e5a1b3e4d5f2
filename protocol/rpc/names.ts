/** Field schemas that several areas' messages share. */
import { text } from '../params';

/** Run ids, request ids and similar handles. */
export const id = () => text(200);
/** Names of servers, prompts and settings. */
export const name = () => text(256);
