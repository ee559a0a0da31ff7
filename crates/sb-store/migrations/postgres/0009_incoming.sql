-- The calls of a lead: the incoming-leads inbox tells a lead that came from a call
-- (category "sip") from one that did not by a semi-join on this, and shows each lead's
-- calls; without it both read every call of the account.
create index call_sessions_lead on call_sessions (account_id, lead_id);
