// A real OpenID Connect provider (npm oidc-provider) for the admin console sign-in tests.
// PORT and REDIRECT_URI come from the environment; the issuer is http://127.0.0.1:PORT.
// Any login is accepted as the account whose email is the login (verified unless it starts
// with "unverified"): the tests decide who signs in by what they type in the login form.
import http from 'node:http';
import Provider from 'oidc-provider';

const port = Number(process.env.PORT);
const issuer = `http://127.0.0.1:${port}`;
const redirectUri = process.env.REDIRECT_URI;

const provider = new Provider(issuer, {
  clients: [{
    client_id: 'scim-admin',
    client_secret: 'test-client-secret',
    redirect_uris: [redirectUri],
    grant_types: ['authorization_code'],
    response_types: ['code'],
    token_endpoint_auth_method: 'client_secret_basic',
  }],
  claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
  conformIdTokenClaims: false,
  features: { devInteractions: { enabled: false } },
  cookies: { keys: ['test-only-cookie-key'] },
  findAccount: async (ctx, id) => ({
    accountId: id,
    claims: async () => ({ sub: id, email: id, email_verified: !id.startsWith('unverified'), name: id }),
  }),
  interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
  // Consent is implied: the tests are about sign-in, not about scopes.
  loadExistingGrant: async (ctx) => {
    const grant = new ctx.oidc.provider.Grant({
      clientId: ctx.oidc.client.clientId,
      accountId: ctx.oidc.session.accountId,
    });
    grant.addOIDCScope('openid email profile');
    await grant.save();
    return grant;
  },
});

const readBody = (req) => new Promise((resolve, reject) => {
  let data = '';
  req.on('data', (c) => { data += c; });
  req.on('end', () => resolve(data));
  req.on('error', reject);
});

const callback = provider.callback();
http.createServer(async (req, res) => {
  const m = req.url.match(/^\/interaction\/([^/?]+)(\/login)?/);
  if (!m) return callback(req, res);
  try {
    if (req.method === 'GET' && !m[2]) {
      const details = await provider.interactionDetails(req, res);
      res.setHeader('content-type', 'text/html; charset=utf-8');
      res.end(`<!doctype html><title>Test IdP</title><form method="post" action="/interaction/${details.uid}/login">`
        + '<label>Email <input name="login" id="login"></label><button type="submit" id="submit">Sign in</button></form>');
      return undefined;
    }
    if (req.method === 'POST' && m[2]) {
      const login = new URLSearchParams(await readBody(req)).get('login');
      await provider.interactionFinished(req, res, { login: { accountId: login } }, { mergeWithLastSubmission: false });
      return undefined;
    }
    res.statusCode = 405;
    res.end();
  } catch (e) {
    res.statusCode = 500;
    res.end(String(e));
  }
  return undefined;
}).listen(port, '127.0.0.1', () => console.log(`ready ${issuer}`));
