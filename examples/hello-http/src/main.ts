// Hello over HTTP: every request gets "hello\n". Run it with:
//   tsuki run examples/hello-http --dev web=tcp://127.0.0.1:8080   then   curl http://127.0.0.1:8080/
import { listener, unikernel } from "tsuki";
import { Response, serve } from "tsuki/http";

export default unikernel({
  devices: { web: listener() },
  async start({ web, console }) {
    console.log(`listening on http://${web.address.address}:${web.address.port}/`);
    await serve(web, () => new Response("hello\n"));
  },
});
