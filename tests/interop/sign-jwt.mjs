// Sign a JWT with panva's jose, as another issuer would. Input (stdin, JSON):
// {payload, header, privateJwk}. Output (stdout, JSON): {token}.
import { SignJWT, importJWK } from "jose";

const input = JSON.parse(await new Promise((resolve) => {
  let text = "";
  process.stdin.on("data", (chunk) => (text += chunk));
  process.stdin.on("end", () => resolve(text));
}));

const key = await importJWK(input.privateJwk, input.header.alg);
const token = await new SignJWT(input.payload).setProtectedHeader(input.header).sign(key);
console.log(JSON.stringify({ token }));
