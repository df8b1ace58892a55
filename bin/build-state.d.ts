export declare const BUILD_STAMP: string;
export declare function isSourceCheckout(root: string): boolean;
export declare function buildIsCurrent(root: string): boolean;
