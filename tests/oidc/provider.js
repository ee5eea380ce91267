// A real OpenID provider (panva's oidc-provider) for the test suite, on loopback only.
//
//   node tests/oidc/provider.js PORT CONFIG.json
//
// CONFIG.json (written by tests/test_oidc.py):
//   {"client_id": "...", "client_secret": "...", "redirect_uris": ["..."],
//    "jwks": {"keys": [<private RSA JWK with kid>]}, "accounts": "ACCOUNTS.json",
//    "host": "localhost"}
// ACCOUNTS.json is read again at every look-up, so a test disables a person by
// rewriting it: {"anna": {"groups": ["..."], "name": "Anna Berg", "disabled": false}}.
//
// The sign-in and consent pages are oidc-provider's own (devInteractions: any
// password is taken, the account must exist and be enabled). Refresh tokens are
// issued to the client without offline_access (as Keycloak does), so the appliance
// can confirm a person again; a disabled or removed person's refresh is refused
// with invalid_grant. PKCE (S256) is required of every client.
import { readFileSync } from 'node:fs';
import Provider from 'oidc-provider';

const [port, configPath] = process.argv.slice(2);
if (!port || !configPath) {
  console.error('usage: node provider.js PORT CONFIG.json');
  process.exit(2);
}
const config = JSON.parse(readFileSync(configPath, 'utf8'));

function accounts() {
  return JSON.parse(readFileSync(config.accounts, 'utf8'));
}

async function findAccount(_ctx, id) {
  const person = accounts()[id];
  if (!person || person.disabled) return undefined;
  return {
    accountId: id,
    async claims() {
      return {
        sub: id,
        preferred_username: person.username ?? id,
        name: person.name ?? id,
        groups: person.groups ?? [],
      };
    },
  };
}

// The issuer's host name: "localhost" makes the provider another site than an
// appliance on 127.0.0.1 (as a real provider is), for the browser's SameSite rules.
const issuer = `http://${config.host ?? '127.0.0.1'}:${port}`;
const provider = new Provider(issuer, {
  clients: [
    {
      client_id: config.client_id,
      client_secret: config.client_secret,
      redirect_uris: config.redirect_uris,
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: 'client_secret_basic',
    },
  ],
  jwks: config.jwks,
  cookies: { keys: [config.cookie_key ?? 'test-provider-cookie-key'] },
  findAccount,
  scopes: ['openid', 'offline_access', 'profile', 'groups'],
  claims: {
    openid: ['sub'],
    profile: ['preferred_username', 'name'],
    groups: ['groups'],
  },
  // Claims of the granted scopes in the ID token too (Keycloak, Entra ID, Okta do).
  conformIdTokenClaims: false,
  pkce: { required: () => true },
  issueRefreshToken: async (_ctx, client) => client.grantTypeAllowed('refresh_token'),
  features: { devInteractions: { enabled: true } },
});
// The sign-in page's answer: the account must exist and be enabled (and its password
// match, when the accounts file gives one); otherwise the provider sends the browser
// back to the client with error=access_denied, as a real provider's refusal does.
provider.use(async (ctx, next) => {
  if (ctx.method !== 'POST' || !/^\/interaction\/[^/]+$/.test(ctx.path)) return next();
  const chunks = [];
  for await (const chunk of ctx.req) chunks.push(chunk);
  ctx.req.body = Buffer.concat(chunks).toString('utf8'); // oidc-provider reads it there
  const form = new URLSearchParams(ctx.req.body);
  if (form.get('prompt') !== 'login') return next();
  const person = accounts()[form.get('login')];
  const refused = !person ? 'unknown account'
    : person.disabled ? 'account disabled'
      : person.password && person.password !== form.get('password') ? 'wrong password' : '';
  if (!refused) return next();
  ctx.respond = false;
  return provider.interactionFinished(ctx.req, ctx.res, {
    error: 'access_denied', error_description: refused,
  }, { mergeWithLastSubmission: false });
});
provider.on('server_error', (_ctx, err) => console.error('server_error', err));

provider.listen(Number(port), '127.0.0.1', () => {
  console.log(`oidc-provider listening on ${issuer}`);
});
