// Sign credentials and presentations with Digital Bazaar's @digitalbazaar/vc and Data Integrity
// suites (eddsa-rdfc-2022, eddsa-jcs-2022), as another issuer or holder would, with did:key keys.
//
// Input (stdin, JSON): {contexts: {url: document}, jobs: [{document, proofs, challenge?, domain?}]}
// where each of `proofs` is {seed (32 bytes, hex), cryptosuite, id?, previousProof?, expires?,
// created?}, added in order: a second proof makes a proof set, or a proof chain when it names an
// earlier proof's id in `previousProof`. A document whose type is VerifiablePresentation is
// signed with vc.signPresentation (proofPurpose authentication, the job's challenge and domain).
// Output (stdout, JSON): {documents: [signed document per job], dids: {seed: did:key}}.
import * as vc from "@digitalbazaar/vc";
import jsigs from "jsonld-signatures";

import { didKeySigner, offlineLoader, readInput, signingSuite } from "./offline.mjs";

// Proof members the suites do not set themselves. DataIntegrityProof.createProof starts the new
// proof from a copy of `suite.proof`, so whatever is put there is signed with the rest.
const EXTRA_MEMBERS = ["id", "previousProof", "expires"];

// jsonld-signatures has no proof chains (its lib/ProofChain.js is an empty "TODO" class), and
// ProofSet.add signs the document with every existing proof removed, so a `previousProof` set
// through suite.proof alone would not cover the proof it names. VC Data Integrity 1.0 ("Add Proof
// Set/Chain", step 3) signs the document with `proof` set to the list of the proofs named; so
// this calls the suite's createProof directly with that document.
async function addChainedProof(document, suite, documentLoader) {
  const { proof: existing = [], ...unsecured } = document;
  const proofs = [].concat(existing);
  const named = [].concat(suite.proof.previousProof);
  const matching = proofs.filter((proof) => named.includes(proof.id));
  if (matching.length !== named.length) {
    throw new Error(`previousProof ${JSON.stringify(named)} names a proof the document lacks`);
  }
  const proof = await suite.createProof({
    document: { ...unsecured, proof: matching },
    purpose: new vc.CredentialIssuancePurpose(),
    proofSet: proofs,
    documentLoader: jsigs.extendContextLoader(documentLoader),
  });
  return { ...unsecured, proof: [...proofs, proof] };
}

const input = await readInput();
const documentLoader = offlineLoader({ contexts: input.contexts });
const dids = {};
const documents = [];
for (const job of input.jobs) {
  let document = structuredClone(job.document);
  const isPresentation = [].concat(document.type ?? []).includes("VerifiablePresentation");
  for (const spec of job.proofs) {
    const { did, signer } = await didKeySigner(spec.seed);
    dids[spec.seed] = did;
    const suite = signingSuite(spec.cryptosuite, { signer, date: spec.created });
    const extra = EXTRA_MEMBERS.filter((k) => k in spec).map((k) => [k, spec[k]]);
    if (extra.length > 0) suite.proof = Object.fromEntries(extra);
    if (spec.previousProof !== undefined) {
      document = await addChainedProof(document, suite, documentLoader);
    } else if (isPresentation) {
      document = await vc.signPresentation({
        presentation: document,
        suite,
        challenge: job.challenge,
        domain: job.domain,
        documentLoader,
      });
    } else {
      // vc.issue runs the library's credential checks, then adds the proof to any already there.
      document = await vc.issue({ credential: document, suite, documentLoader });
    }
  }
  documents.push(document);
}
console.log(JSON.stringify({ documents, dids }));
