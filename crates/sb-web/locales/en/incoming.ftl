# Incoming leads (ui/incoming.rs) — English.

## Incoming leads
incoming-title = Incoming leads
incoming-waiting = { $count ->
    [one] { $count } waiting
   *[other] { $count } waiting
}
incoming-empty = Nothing waiting. New calls from unknown numbers and web forms land here.
incoming-pipeline = Pipeline
incoming-all-pipelines = All pipelines
incoming-source = Source
incoming-all-sources = All sources
incoming-source-sip = Call
incoming-source-forms = Form
incoming-lead-number = Lead #{ $id }
incoming-received = Received
incoming-price = Budget
incoming-contact = Contact
incoming-company = Company
incoming-calls = Calls
incoming-call-in = Incoming call from
incoming-call-out = Outgoing call to
incoming-duration = length
incoming-called-number = number dialled
incoming-recording = Call recording
incoming-recording-open = Open the recording
incoming-no-recording = No recording
incoming-stage = Stage
incoming-responsible = Responsible
incoming-responsible-me = Me (or its current owner)
incoming-accept = Accept
incoming-decline = Decline as spam
incoming-decline-confirm = Decline this lead as spam? It will be closed as lost.
incoming-link = Link to a lead
incoming-pages = Pages
incoming-done-accepted = The lead was accepted.
incoming-done-declined = The lead was declined and closed as lost.
incoming-done-linked = The call now shows on the lead you chose.
incoming-link-title = Link to an existing lead
incoming-link-find = Find the lead
incoming-link-hint = The call moves to the lead you choose, the caller becomes one of its contacts, and this incoming lead is closed.
incoming-link-search = Lead name or phone
incoming-link-none = No lead matches.
incoming-link-here = Link here
