// Drives the simulator with the third-party npm client zadarma@1.1.2.
// Usage: node check.mjs <base_url> <key> <secret>
// The client takes the API host from its `baseURL` option (index.js:
// `baseURL = 'https://api.zadarma.com'` default), so no patching is needed.
// Prints one JSON object with the three answers.
import zadarma from 'zadarma';

const [baseURL, api_user_key, api_secret_key] = process.argv.slice(2);
if (!baseURL || !api_user_key || !api_secret_key) {
  console.error('usage: node check.mjs <base_url> <key> <secret>');
  process.exit(2);
}

const call = (api_method, params = {}) =>
  zadarma.api({ baseURL, api_method, params, api_user_key, api_secret_key, timeout: 5000 });

const balance = await call('/v1/info/balance/');
const internal = await call('/v1/pbx/internal/');
const callback = await call('/v1/request/callback/', { from: '100', to: '+34600111222' });
process.stdout.write(JSON.stringify({ balance, internal, callback }) + '\n');
