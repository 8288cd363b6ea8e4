/**
 * @module host/tender
 * The tender's public face to the rest of the host. The build reaches the tender only through
 * here (`readDeclaration`: what a bundled module declares, read by evaluating it as a boot would);
 * the tender never imports the build, so the arrow between them runs one way.
 */

export { type Declaration, type DeclarationOptions, type DeclarationRead, readDeclaration } from "./declaration.ts";
