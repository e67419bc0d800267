// Officials' sign-in with Cognito's own API (InitiateAuth, RespondToAuthChallenge, ...), from the page.
// Tokens live in this module's memory only; the refresh token is kept in sessionStorage so that a
// reload of the tab stays signed in. Nothing here ever puts a token into the page.

const REFRESH_KEY = 'lapor.session';
const REFRESH_MARGIN_MS = 2 * 60 * 1000;

export class CognitoError extends Error {
  constructor(code, status) {
    super(code);
    Object.assign(this, { code, status });
  }
}

function claimsOf(jwt) {
  try {
    const part = jwt.split('.')[1].replace(/-/g, '+').replace(/_/g, '/');
    return JSON.parse(new TextDecoder().decode(Uint8Array.from(atob(part), (c) => c.charCodeAt(0))));
  } catch { return {}; }
}

export class Session {
  /** config: GET /auth/config ({endpoint, client_id, region, mfa_required}). */
  constructor(config, { onChange = () => {} } = {}) {
    this.config = config;
    this.onChange = onChange;
    this.idToken = null;
    this.accessToken = null;
    this.username = null;
    this.timer = null;
  }

  get signedIn() { return Boolean(this.idToken); }

  async call(target, body) {
    let res;
    try {
      res = await fetch(this.config.endpoint, {
        method: 'POST',
        headers: {
          'Content-Type': 'application/x-amz-json-1.1',
          'X-Amz-Target': `AWSCognitoIdentityProviderService.${target}`,
        },
        body: JSON.stringify(body),
      });
    } catch { throw new CognitoError('NetworkError', 0); }
    let data = {};
    try { data = await res.json(); } catch { data = {}; }
    if (!res.ok) {
      const type = String(data.__type || res.headers.get('x-amzn-errortype') || 'UnknownError');
      throw new CognitoError(type.split('#').pop().split(':')[0], res.status);
    }
    return data;
  }

  /** Password sign-in: resolves to {done: true} or {challenge, session} (NEW_PASSWORD_REQUIRED, SOFTWARE_TOKEN_MFA, MFA_SETUP). */
  async signIn(username, password) {
    this.username = username;
    const result = await this.call('InitiateAuth', {
      AuthFlow: 'USER_PASSWORD_AUTH',
      ClientId: this.config.client_id,
      AuthParameters: { USERNAME: username, PASSWORD: password },
    });
    return this.#settle(result);
  }

  async answer(challenge, session, responses) {
    const result = await this.call('RespondToAuthChallenge', {
      ChallengeName: challenge,
      ClientId: this.config.client_id,
      Session: session,
      ChallengeResponses: { USERNAME: this.username, ...responses },
    });
    return this.#settle(result);
  }

  newPassword(session, password) { return this.answer('NEW_PASSWORD_REQUIRED', session, { NEW_PASSWORD: password }); }

  totp(session, code) { return this.answer('SOFTWARE_TOKEN_MFA', session, { SOFTWARE_TOKEN_MFA_CODE: code }); }

  /** Enrolment of an authenticator app for the signed-in official: the secret to show, then the code. */
  async associateTotp() {
    const result = await this.call('AssociateSoftwareToken', { AccessToken: this.accessToken });
    return result.SecretCode;
  }

  async verifyTotp(code) {
    await this.call('VerifySoftwareToken', { AccessToken: this.accessToken, UserCode: code, FriendlyDeviceName: 'Lapor' });
    await this.call('SetUserMFAPreference', {
      AccessToken: this.accessToken,
      SoftwareTokenMfaSettings: { Enabled: true, PreferredMfa: true },
    });
  }

  /** Resume from the refresh token of this tab, if any; true when signed in again. */
  async resume() {
    let stored = null;
    try { stored = JSON.parse(sessionStorage.getItem(REFRESH_KEY) || 'null'); } catch { stored = null; }
    if (!stored?.refresh || stored.client !== this.config.client_id) return false;
    this.username = stored.username;
    this.refreshToken = stored.refresh;
    try { await this.refresh(); return true; } catch { this.#forget(); return false; }
  }

  async refresh() {
    const result = await this.call('InitiateAuth', {
      AuthFlow: 'REFRESH_TOKEN_AUTH',
      ClientId: this.config.client_id,
      AuthParameters: { REFRESH_TOKEN: this.refreshToken },
    });
    return this.#settle(result);
  }

  async signOut() {
    const access = this.accessToken;
    this.#forget();
    this.onChange();
    if (access) { try { await this.call('GlobalSignOut', { AccessToken: access }); } catch { /* already signed out */ } }
  }

  /** The official id the ID token names (for display only; the API trusts its own verification). */
  officialId() { return claimsOf(this.idToken || '')['custom:official_id'] || this.username; }

  #settle(result) {
    if (result.ChallengeName) return { challenge: result.ChallengeName, session: result.Session };
    const auth = result.AuthenticationResult || {};
    this.idToken = auth.IdToken;
    this.accessToken = auth.AccessToken;
    if (auth.RefreshToken) this.refreshToken = auth.RefreshToken;
    try {
      sessionStorage.setItem(REFRESH_KEY, JSON.stringify({ refresh: this.refreshToken, username: this.username, client: this.config.client_id }));
    } catch { /* storage blocked: the tab signs in again after a reload */ }
    this.#schedule();
    this.onChange();
    return { done: true };
  }

  #schedule() {
    clearTimeout(this.timer);
    const exp = Number(claimsOf(this.idToken).exp || 0) * 1000;
    const wait = Math.max(exp - Date.now() - REFRESH_MARGIN_MS, 10_000);
    this.timer = setTimeout(() => { this.refresh().catch(() => { this.#forget(); this.onChange(); }); }, wait);
  }

  #forget() {
    clearTimeout(this.timer);
    this.idToken = null;
    this.accessToken = null;
    this.refreshToken = null;
    try { sessionStorage.removeItem(REFRESH_KEY); } catch { /* ignore */ }
  }
}
