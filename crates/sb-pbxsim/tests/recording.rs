//! A recorded call's link downloads a real, playable WAV file.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use std::collections::BTreeMap;

use common::{crm, sim, KEY, SECRET};
use sb_pbxsim::{PbxSim, Scenario, ScenarioSpec, SimConfig};
use serde_json::Value;

async fn record_request(sim: &PbxSim, params: &[(&str, &str)]) -> (u16, Value) {
    let path = "/v1/pbx/record/request/";
    let map: BTreeMap<String, String> = params
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let resp = reqwest::Client::new()
        .get(format!(
            "{}{path}?{}",
            sim.base_url(),
            sb_pbxsim::sign::params_string(&map)
        ))
        .header(
            "authorization",
            sb_pbxsim::sign::rest_authorization(KEY, SECRET, path, &map),
        )
        .send()
        .await
        .unwrap();
    (resp.status().as_u16(), resp.json().await.unwrap())
}

fn check_wav(bytes: &[u8]) {
    assert!(bytes.len() > 44);
    assert_eq!(&bytes[0..4], b"RIFF");
    assert_eq!(
        u32::from_le_bytes(bytes[4..8].try_into().unwrap()) as usize,
        bytes.len() - 8
    );
    assert_eq!(&bytes[8..16], b"WAVEfmt ");
    assert_eq!(u16::from_le_bytes([bytes[20], bytes[21]]), 1, "PCM");
    let rate = u32::from_le_bytes(bytes[24..28].try_into().unwrap());
    let byte_rate = u32::from_le_bytes(bytes[28..32].try_into().unwrap());
    assert_eq!(&bytes[36..40], b"data");
    let data = u32::from_le_bytes(bytes[40..44].try_into().unwrap());
    assert_eq!(data as usize, bytes.len() - 44);
    assert_eq!(data, byte_rate, "one second of audio at {rate} Hz");
    // Not silence.
    assert!(bytes[44..]
        .chunks(2)
        .any(|s| i16::from_le_bytes([s[0], s[1]]).abs() > 5000));
}

#[tokio::test]
async fn recording_link_serves_playable_wav() {
    let (_crm, url) = crm().await;
    let sim = sim(SimConfig {
        webhook_url: Some(url),
        ..SimConfig::default()
    })
    .await;
    let report = sim
        .run_scenario(ScenarioSpec::new(Scenario::IncomingAnswered))
        .await
        .unwrap();
    let call_id = report.call_id_with_rec.clone().unwrap();

    let (s, b) = record_request(&sim, &[("call_id", &call_id), ("lifetime", "180")]).await;
    assert_eq!(s, 200, "{b}");
    let link = b["link"].as_str().unwrap();
    assert!(
        link.starts_with(&sim.base_url()) && link.ends_with(".wav"),
        "{link}"
    );
    assert_eq!(b["lifetime_till"].as_str().unwrap().len(), 19);

    let resp = reqwest::get(link).await.unwrap();
    assert_eq!(resp.status(), 200);
    assert_eq!(resp.headers()["content-type"], "audio/wav");
    check_wav(&resp.bytes().await.unwrap());

    let (s, b) = record_request(&sim, &[("pbx_call_id", &report.pbx_call_id)]).await;
    assert_eq!(s, 200, "{b}");
    let links = b["links"].as_array().unwrap();
    assert_eq!(links.len(), 1);
    check_wav(
        &reqwest::get(links[0].as_str().unwrap())
            .await
            .unwrap()
            .bytes()
            .await
            .unwrap(),
    );

    let (s, _) = record_request(&sim, &[("call_id", &call_id), ("lifetime", "10")]).await;
    assert_eq!(s, 400, "lifetime below 180 s");
    let missed = sim
        .run_scenario(ScenarioSpec::new(Scenario::IncomingMissed))
        .await
        .unwrap();
    let (s, b) = record_request(&sim, &[("pbx_call_id", &missed.pbx_call_id)]).await;
    assert_eq!((s, b["status"].as_str()), (404, Some("error")));
    let bogus = format!(
        "{}/recordings/0123456789abcdef0123456789abcdef.wav",
        sim.base_url()
    );
    assert_eq!(reqwest::get(bogus).await.unwrap().status(), 404);
}
