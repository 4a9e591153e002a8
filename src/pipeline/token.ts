// RFC 9110 §5.6.2 token: what a header field name or a method name may be. One definition for every
// schema and check that accepts one.
export const TOKEN_PATTERN = "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$";
export const TOKEN = new RegExp(TOKEN_PATTERN);
