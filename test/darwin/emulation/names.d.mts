export declare const STANDIN_BIN_DIR: string;
export declare const AS_DARWIN_PRELOAD: string;
export declare const STANDIN_LOG_ENV: string;
