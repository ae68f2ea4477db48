// A real OpenID Connect provider (the npm package oidc-provider) for Frontline's sign-in tests.
//
// Usage: node provider.mjs CONFIG_JSON
// CONFIG_JSON names a file with {"clients": [...], "accounts_file": PATH}. The accounts file maps a
// login to {"password", "claims"} and is read again at every sign-in, so a test can change
// someone's roles between two sign-ins. The provider listens on 127.0.0.1, on a free port, and
// prints one line "LISTENING http://127.0.0.1:PORT" when it is ready. It stops on SIGTERM.
//
// Test hooks, each bound to a client id so the other clients see a normal provider:
// - client "frontline-slow": its ID tokens live 1 second and the token response is held back
//   2.5 seconds, so the ID token the relying party receives has already expired.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync } from 'node:fs';
import http from 'node:http';

import { Provider } from 'oidc-provider';

const SLOW_CLIENT = 'frontline-slow';
const config = JSON.parse(readFileSync(process.argv[2], 'utf8'));

function accounts() {
  return JSON.parse(readFileSync(config.accounts_file, 'utf8'));
}

function escapeHtml(value) {
  return String(value).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return new URLSearchParams(Buffer.concat(chunks).toString('utf8'));
}

function loginPage(uid, clientId, error) {
  return `<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Test identity provider</title></head>
<body><h1>Test identity provider</h1><p>Sign in to continue to ${escapeHtml(clientId)}.</p>
${error ? `<p role="alert" class="error">${escapeHtml(error)}</p>` : ''}
<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Login <input name="login" id="login" autocomplete="username"></label>
<label>Password <input name="password" id="password" type="password" autocomplete="current-password"></label>
<button type="submit" id="submit">Sign in</button></form></body></html>`;
}

// A fresh RSA signing key for each run.
const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: 'test-key', use: 'sig', alg: 'RS256' };

const server = http.createServer();
server.listen(0, '127.0.0.1', () => {
  const { port } = server.address();
  const issuer = `http://127.0.0.1:${port}`;
  const provider = new Provider(issuer, {
    clients: config.clients,
    jwks: { keys: [signingKey] },
    cookies: { keys: ['frontline-test-provider-cookie-key'] },
    claims: {
      openid: ['sub'],
      email: ['email', 'email_verified'],
      profile: ['name', 'preferred_username', ...(config.extra_profile_claims || [])],
    },
    scopes: ['openid', 'email', 'profile', 'offline_access'],
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: { enabled: true },
    },
    pkce: { required: () => true },
    ttl: {
      IdToken: (ctx, token, client) => (client && client.clientId === SLOW_CLIENT ? 1 : 3600),
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    async findAccount(ctx, sub) {
      const account = accounts()[sub];
      if (!account) return undefined;
      return { accountId: sub, claims: async () => ({ sub, ...account.claims }) };
    },
  });
  provider.proxy = false;

  async function grantFor(details, accountId) {
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId, clientId: details.params.client_id });
    grant.addOIDCScope(details.params.scope);
    const missing = details.prompt.details || {};
    if (missing.missingOIDCClaims) grant.addOIDCClaims(missing.missingOIDCClaims);
    return grant.save();
  }

  provider.use(async (ctx, next) => {
    const match = ctx.path.match(/^\/interaction\/([^/]+)(\/login)?$/);
    if (!match) {
      await next();
      if (ctx.path === '/token' && ctx.oidc && ctx.oidc.client && ctx.oidc.client.clientId === SLOW_CLIENT) {
        await new Promise((resolve) => { setTimeout(resolve, 2500); });
      }
      return;
    }
    const details = await provider.interactionDetails(ctx.req, ctx.res);
    const clientId = details.params.client_id;
    if (ctx.method === 'GET' && details.prompt.name === 'consent') {
      // Staff consent once, by the company: the grant covers what the client asked for.
      const grantId = await grantFor(details, details.session.accountId);
      ctx.status = 303;
      ctx.redirect(await provider.interactionResult(ctx.req, ctx.res, { consent: { grantId } }, { mergeWithLastSubmission: true }));
      return;
    }
    if (ctx.method === 'GET') {
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, clientId);
      return;
    }
    const form = await readForm(ctx.req);
    const login = form.get('login') || '';
    const account = accounts()[login];
    if (!account || account.password !== form.get('password')) {
      ctx.status = 200;
      ctx.type = 'html';
      ctx.body = loginPage(details.uid, clientId, 'Wrong login or password.');
      return;
    }
    const grantId = await grantFor(details, login);
    const redirectTo = await provider.interactionResult(ctx.req, ctx.res, {
      login: { accountId: login },
      consent: { grantId },
    }, { mergeWithLastSubmission: false });
    ctx.status = 303;
    ctx.redirect(redirectTo);
  });

  server.on('request', provider.callback());
  process.stdout.write(`LISTENING ${issuer}\n`);
});

process.on('SIGTERM', () => { server.close(); process.exit(0); });
