import { render } from "preact";
import { ApiClient } from "./api";
import { App } from "./components/App";

const root = document.getElementById("app");
if (root) render(<App api={new ApiClient()} />, root);
