// Verify a VC-JWT with panva's jose, as a third party would: given only the token and the
// issuer's published JWK Set. Input (stdin, JSON): {token, jwks, typ?}. Output (stdout, JSON):
// {verified: true, header, payload} or {verified: false, code, error}.
import { createLocalJWKSet, jwtVerify } from "jose";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));

try {
  const keys = createLocalJWKSet(input.jwks);
  const options = { algorithms: ["EdDSA", "RS256"] };
  if (input.typ) options.typ = input.typ;
  const { payload, protectedHeader } = await jwtVerify(input.token, keys, options);
  console.log(JSON.stringify({ verified: true, header: protectedHeader, payload }));
} catch (error) {
  console.log(JSON.stringify({ verified: false, code: error.code ?? null, error: String(error) }));
}
