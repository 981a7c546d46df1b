export declare const STANDIN_BIN_DIR: string;
export declare const AS_DARWIN_PRELOAD: string;
export declare const STANDIN_LOG_ENV: string;
export declare const STANDIN_SERVER_ENV: string;
export declare const STANDIN_LC_ALL_ENV: string;
