/**
 * @module host/orchestrator/pki/x509
 * `@peculiar/x509`, for every module of tsuki that makes or reads certificates. Import it from
 * here, never from the package: the package needs a Reflect metadata polyfill loaded before it
 * (its dependency tsyringe throws otherwise), and this module loads `reflect-metadata` first.
 */

import "reflect-metadata";

export * from "@peculiar/x509";
