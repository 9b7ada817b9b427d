// The TPM layer's public surface for other folders (identity, probe, cli).
export { openTpm, parseTpmUri, info, readPcrs, getRandom, createAk, readPublic, flush, type TpmInfo } from './client.ts';
export { quote, verifyQuote, MAX_NONCE, type VerifiedQuote } from './quote.ts';
export { parsePcrSelection, pcrSelectionText } from './pcr-selection.ts';
export { decodeRc, rcText } from './rc.ts';
export { TpmFailure, type Tpm, type TpmError, type TpmErrorCode, type TpmResult, type PcrSelection, type HashName } from './types.ts';
