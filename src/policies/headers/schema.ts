import Type, { type Static } from "typebox";
import { TOKEN_PATTERN } from "../../pipeline/token.ts";

const Name = Type.String({ pattern: TOKEN_PATTERN });

const HeaderMap = Type.Record(Name, Type.String(), {
  additionalProperties: false,
  description: "Header name → value.",
});
const HeaderList = Type.Array(Name, { uniqueItems: true });
const RenameMap = Type.Record(Name, Name, {
  additionalProperties: false,
  description: "Old header name → new header name.",
});

const Ops = Type.Object(
  {
    remove: Type.Optional({ ...HeaderList, description: "Remove these headers (applied first)." }),
    rename: Type.Optional({
      ...RenameMap,
      description: "Move every value of a header to a new name, replacing the new name's values (second).",
    }),
    set: Type.Optional({ ...HeaderMap, description: "Replace every value of the header (third)." }),
    add: Type.Optional({ ...HeaderMap, description: "Append a value, keeping existing values (last)." }),
  },
  { additionalProperties: false },
);

export const headersSchema = Type.Object(
  {
    request: Type.Optional({ ...Ops, description: "Applied to the request sent upstream." }),
    response: Type.Optional({ ...Ops, description: "Applied to the response sent to the client." }),
  },
  { additionalProperties: false, description: "Remove, rename, set and add request and response headers." },
);

export type HeadersOptions = Static<typeof headersSchema>;
export type HeaderOps = Static<typeof Ops>;
