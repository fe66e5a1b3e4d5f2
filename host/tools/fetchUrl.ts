import * as l10n from '@vscode/l10n';
import { z } from 'zod';
import { allowListedFetch } from '../sandbox';
import { zodArgs } from './argsSchema';
import { defineTool } from './tool';
import { isTransientNetworkError, isTransientStatus, retryAfterMs, TransientToolError } from './transient';

const MAX_BODY_CHARS = 100_000;

/**
 * `fetch_url`: an HTTP GET to a host on the allow-list (keel.network.allowHosts), with the sandbox's network
 * rules: private addresses refused unless listed, redirects checked hop by hop, size and rate capped.
 */
export const fetchUrlTool = defineTool({
  name: 'fetch_url',
  description: 'Fetch a URL with HTTP GET and return its status and body as text. Only hosts the user allow-listed can be reached.',
  risk: 'network',
  source: 'builtin',
  idempotent: true,
  args: zodArgs(z.object({ url: z.url({ protocol: /^https?$/, error: () => l10n.t('url must be an http(s) URL') }) }).strict()),
  touches: ({ url }) => ({ hosts: [new URL(url).hostname.replace(/^\[|\]$/g, '')] }),
  describeCall: ({ url }) => l10n.t('Fetch {0}?', url),
  async run({ url }, { policy, span }) {
    if (policy.allowHosts.length === 0) {
      throw new Error(l10n.t('No host is allow-listed for fetching. The user can add hosts to the {0} setting.', '"keel.network.allowHosts"'));
    }
    const response = await allowListedFetch({ allowHosts: [...policy.allowHosts] })(url, { method: 'GET' }).catch((error: unknown) => {
      throw isTransientNetworkError(error) ? new TransientToolError(l10n.t('fetch of {0} failed: {1}', url, (error as Error).message), { cause: error }) : error;
    });
    span.setAttributes({ 'http.response.status_code': response.status, 'url.full': url });
    // A GET may be repeated: a busy or briefly broken server is tried again (callPolicy.ts), then reported.
    if (isTransientStatus(response.status)) {
      throw new TransientToolError(l10n.t('{0} answered HTTP {1}: {2}', url, response.status, response.body.slice(0, 200)), { retryAfterMs: retryAfterMs(response.headers['retry-after']) });
    }
    const body = response.body.length > MAX_BODY_CHARS ? `${response.body.slice(0, MAX_BODY_CHARS)}\n[truncated]` : response.body;
    return `HTTP ${response.status} ${response.headers['content-type'] ?? ''}\n\n${body}`;
  },
});
