#![no_main]

// The app is built before the first input, so its start-up is not taken for a hang.
libfuzzer_sys::fuzz_target!(
    init: {
        sb_fuzz::http::shared();
    },
    |data: &[u8]| sb_fuzz::http::bearer(sb_fuzz::http::shared(), data)
);
