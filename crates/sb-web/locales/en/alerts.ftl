# The admins' notification centre: integration problems (V9).
alerts-title = Integration alerts
alerts-intro = Problems with the telephony integrations that an administrator can fix. A dismissed alert comes back if the problem happens again.
alerts-none = No problems. Everything is working.
alerts-integration = Integration
alerts-what-to-do = What to do:
alerts-first-seen = First seen
alerts-last-seen = Last seen
alerts-detail = Last detail
alerts-dismiss = Dismiss
alerts-open-telephony = Open the telephony settings
alerts-open-integration = Open the integration's settings
alerts-count = { $count ->
    [one] Happened once
   *[other] Happened { $count } times
}
alerts-bell = { $count ->
    [0] Integration alerts: none
    [one] Integration alerts: { $count } open
   *[other] Integration alerts: { $count } open
}
alerts-bad-signature-title = Webhooks refused: bad signature
alerts-bad-signature-explain = The PBX's notifications about calls arrive signed with the integration's secret. These came without a valid signature, so they were refused and their calls were not recorded.
alerts-bad-signature-fix = Make sure the key and secret saved here are the ones in the PBX's API settings. If they are, someone else may be sending requests to the webhook URL: create a new secret in the PBX and save it here.
alerts-forbidden-source-title = Webhooks refused: address not allowed
alerts-forbidden-source-explain = Notifications came from an address outside the integration's allow list, so they were refused.
alerts-forbidden-source-fix = If the address belongs to your PBX provider, add it to the allow list in the telephony settings. If not, leave it refused.
alerts-pbx-unreachable-title = The PBX cannot be reached
alerts-pbx-unreachable-explain = Calls to the PBX's API (click-to-call, the status, recordings) did not get through or got no answer in time.
alerts-pbx-unreachable-fix = Check the API URL in the integration's settings and that this server can reach the PBX over the network.
alerts-pbx-auth-title = The PBX refused the key and secret
alerts-pbx-auth-explain = The PBX answered that the API key and secret are not valid, so click-to-call and recordings do not work.
alerts-pbx-auth-fix = Create a new key and secret in the PBX's API settings and save them in the integration's settings.
alerts-recording-failed-title = Call recordings could not be fetched
alerts-recording-failed-explain = A recording was tried many times over several hours and could not be downloaded and stored, so it cannot be played in the CRM.
alerts-recording-failed-fix = Check that the PBX keeps recordings and that the key may read them, and that the recordings storage is configured and reachable.
alerts-autocreate-failed-title = Cards for unknown callers were not created
alerts-autocreate-failed-explain = Creating a contact or a lead for a call from an unknown number failed after all retries.
alerts-autocreate-failed-fix = Check the integration's auto-create settings and that the account has a pipeline with an incoming stage.
