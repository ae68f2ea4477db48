"""How staff sign in: OpenID Connect with the company's provider, passwords, TOTP for staff.

`provider` reads the provider's discovery document, `backends` turns a sign-in into a user (the
roles claim sets memberships through `verticals.services.set_memberships`), `views` starts and
finishes the provider's flow and logs out of both, `mfa` asks staff who used a password for a
TOTP code. docs/security.md describes the whole.
"""
