function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/**
 * The fake's "Login with Zerodha" page: a plain form a browser (or a test's HTTP client) submits
 * to `POST /connect/login`. The real page adds 2FA; the fake asks for the user id and password only.
 */
export function loginPage(o: { apiKey: string; redirectParams?: string; userId: string; error?: string }): string {
  const hidden = [
    ['v', '3'],
    ['api_key', o.apiKey],
    ...(o.redirectParams !== undefined ? [['redirect_params', o.redirectParams]] : []),
  ]
    .map(([k, v]) => `<input type="hidden" name="${k}" value="${escapeHtml(v!)}">`)
    .join('\n      ');
  return `<!doctype html>
<html lang="en">
  <head><meta charset="utf-8"><title>Kite (fake) — Login</title></head>
  <body>
    <h1>Login to Kite (fake)</h1>
    ${o.error ? `<p role="alert">${escapeHtml(o.error)}</p>` : ''}
    <form method="post" action="/connect/login">
      ${hidden}
      <label>User ID <input name="user_id" value="${escapeHtml(o.userId)}" autocomplete="username"></label>
      <label>Password <input name="password" type="password" autocomplete="current-password"></label>
      <button type="submit">Login</button>
    </form>
  </body>
</html>
`;
}

export function errorPage(message: string): string {
  return `<!doctype html>\n<html lang="en"><head><meta charset="utf-8"><title>Kite (fake) — Error</title></head><body><p role="alert">${escapeHtml(message)}</p></body></html>\n`;
}
