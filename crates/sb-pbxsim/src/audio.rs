//! The "recording" every simulated call gets: a real, playable one-second
//! 440 Hz tone as 8 kHz 16-bit mono PCM WAV (telephony quality).

const RATE: u32 = 8_000;

pub(crate) const CONTENT_TYPE: &str = "audio/wav";
pub(crate) const EXTENSION: &str = "wav";

pub(crate) fn tone_wav() -> Vec<u8> {
    let samples = RATE; // one second
    let data_len = samples * 2;
    let mut out = Vec::with_capacity(44 + data_len as usize);
    out.extend_from_slice(b"RIFF");
    out.extend_from_slice(&(36 + data_len).to_le_bytes());
    out.extend_from_slice(b"WAVE");
    out.extend_from_slice(b"fmt ");
    out.extend_from_slice(&16u32.to_le_bytes()); // fmt chunk size
    out.extend_from_slice(&1u16.to_le_bytes()); // PCM
    out.extend_from_slice(&1u16.to_le_bytes()); // mono
    out.extend_from_slice(&RATE.to_le_bytes());
    out.extend_from_slice(&(RATE * 2).to_le_bytes()); // byte rate
    out.extend_from_slice(&2u16.to_le_bytes()); // block align
    out.extend_from_slice(&16u16.to_le_bytes()); // bits per sample
    out.extend_from_slice(b"data");
    out.extend_from_slice(&data_len.to_le_bytes());
    for i in 0..samples {
        let t = f64::from(i) / f64::from(RATE);
        // Amplitude 0.3 of full scale; the cast cannot overflow.
        #[allow(clippy::cast_possible_truncation)]
        let s = ((2.0 * std::f64::consts::PI * 440.0 * t).sin() * 0.3 * f64::from(i16::MAX)) as i16;
        out.extend_from_slice(&s.to_le_bytes());
    }
    out
}
