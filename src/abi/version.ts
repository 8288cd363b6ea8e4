/**
 * @module abi/version
 * The ABI version both sides speak. An image records the version it was built against; a tender
 * boots only images whose version it speaks. Bump it when a hypercall, an event, the boot
 * information or the guest runtime's globals change in a way an existing image would notice.
 */

export const ABI_VERSION = 1;

/** The ABI versions this tree's tender can boot. */
export const SUPPORTED_ABI_VERSIONS: readonly number[] = [ABI_VERSION];
