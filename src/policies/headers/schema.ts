import Type, { type Static } from "typebox";

const HeaderMap = Type.Record(Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), Type.String(), {
  description: "Header name → value.",
});
const HeaderList = Type.Array(Type.String({ pattern: "^[!#$%&'*+.^_`|~0-9A-Za-z-]+$" }), {
  uniqueItems: true,
});

const Ops = Type.Object(
  {
    add: Type.Optional({ ...HeaderMap, description: "Append a value (keeps existing values)." }),
    set: Type.Optional({ ...HeaderMap, description: "Replace every value of the header." }),
    remove: Type.Optional({ ...HeaderList, description: "Remove these headers." }),
    rename: Type.Optional({ ...HeaderMap, description: "Rename header (old name → new name)." }),
  },
  { additionalProperties: false },
);

export const headersSchema = Type.Object(
  {
    request: Type.Optional({ ...Ops, description: "Applied to the request sent upstream." }),
    response: Type.Optional({ ...Ops, description: "Applied to the response sent to the client." }),
  },
  { additionalProperties: false, description: "Add, set, remove and rename request and response headers." },
);

export type HeadersOptions = Static<typeof headersSchema>;
