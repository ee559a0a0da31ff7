use sb_testkit::spawn_apps;

#[tokio::test]
async fn health_ready_and_metrics_by_route() {
    for app in spawn_apps().await {
        assert_eq!(
            app.client
                .get(format!("{}/health", app.url))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        assert_eq!(
            app.client
                .get(format!("{}/ready", app.url))
                .send()
                .await
                .unwrap()
                .status(),
            200
        );
        app.get("/api/v4/contacts").await;
        let r = app
            .client
            .get(format!("{}/metrics", app.url))
            .send()
            .await
            .unwrap();
        assert!(
            r.headers().get("x-request-id").is_some(),
            "every answer carries a request id"
        );
        let text = r.text().await.unwrap();
        assert!(text.contains("switchboard_http_requests_total"), "{text}");
        assert!(text.contains("route=\"/api/v4/contacts\""));
        assert!(text.contains("switchboard_http_request_duration_seconds_bucket"));
    }
}
