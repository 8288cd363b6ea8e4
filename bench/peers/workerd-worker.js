// The workerd peer of `npm run bench:http`: a Worker answering every request with one fixed body,
// embedded by the generated config as the data module "body" with the content type and ETag in "meta".
import body from "body";
import meta from "meta";

export default {
  fetch() {
    return new Response(body, { headers: meta.headers });
  },
};
