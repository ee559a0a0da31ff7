#![no_main]

// The app is built before the first input, so its start-up is not taken for a hang.
libfuzzer_sys::fuzz_target!(
    init: {
        sb_fuzz::http::shared();
    },
    |data: &[u8]| sb_fuzz::http::api_json(sb_fuzz::http::shared(), data)
);
