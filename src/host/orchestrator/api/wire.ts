/**
 * @module host/orchestrator/api/wire
 * Names on the wire of tsukid's API that both sides spell: the header in which a remote client
 * sends the tenant certificates above its leaf (the TLS handshake carries only the leaf).
 */

/** The tenant certificates after the leaf of client.pem, base64 DER, comma-separated (pki/peer-chain.ts checks them). */
export const CHAIN_HEADER = "tsuki-chain";
