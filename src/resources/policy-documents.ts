/**
 * IAM policy documents: IAM returns them URL-encoded (RFC 3986), Identity Center as plain JSON.
 * Decoded with decodeURIComponent, which (unlike a query-string decoder) keeps a literal "+".
 */
export function policyDocumentText(document: string): string {
  return document.trimStart().startsWith("{") ? document : decodeURIComponent(document);
}
