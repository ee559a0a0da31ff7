use crate::{contact, notes, played_recording, rig};
use sb_domain::EntityKind;
use sb_pbxsim::{Scenario, ScenarioSpec};
use sb_testkit::s3::S3Server;

#[tokio::test]
async fn recordings_are_kept_in_s3_compatible_storage_and_wait_out_its_outage() {
    let Some(mut s3) = S3Server::start().await else {
        eprintln!("SKIPPED: no S3-compatible server (moto_server); ./scripts/test installs one");
        return;
    };
    let settings = s3.bucket("recordings", "crm").await;
    let apps = sb_testkit::spawn_apps_with(|c| c.recordings_s3 = Some(settings.clone())).await;
    for app in apps {
        let rig = rig(app).await;
        let app = &rig.app;
        let cid = contact(app, "Ana Gómez", "+34 600 333 444", app.admin.user.id.0).await;
        // The storage is down when the call ends and its recording is ready.
        s3.stop().await;
        let mut sp = ScenarioSpec::new(Scenario::IncomingAnswered);
        sp.caller = "34600333444".into();
        let report = rig.sim.run_scenario(sp).await.unwrap();
        assert!(report.webhooks.iter().all(|w| w.status == Some(200)));
        app.drain_jobs().await;
        let n = notes(app, EntityKind::Contacts, cid).await;
        assert_eq!(
            n.len(),
            1,
            "the call is on the card while the storage is down"
        );
        let link = n[0].params["link"].as_str().unwrap().to_string();
        app.clock.advance(20_000);
        app.drain_jobs().await;
        assert_eq!(
            app.get(&link).await.status(),
            409,
            "the recording waits for the storage"
        );
        // The storage is back (moto forgets its buckets when stopped): the job's retry
        // stores the recording.
        s3.resume().await;
        s3.bucket("recordings", "crm").await;
        app.clock.advance(10 * 60_000);
        app.drain_jobs().await;
        let audio = played_recording(app, &link).await;
        // It is in the bucket, under the prefix, as {account}/{call}.wav.
        let call = link
            .trim_end_matches("/recording")
            .rsplit('/')
            .next()
            .unwrap();
        let key = format!("crm/{}/{call}.wav", app.account().id.0);
        assert_eq!(
            s3.object(&settings, &key).await.as_deref(),
            Some(&audio[..]),
            "the bucket holds the same audio"
        );
    }
}
