# Telephony in the browser: the call pop-ups, the dialer, call buttons, the call result
# and the live board.

nav-live = Live board

## Header dialer and call buttons
calls-dialer = Dial
calls-dialer-number = Number to call
calls-dialer-keypad = Keypad
calls-dialer-call = Call
calls-call = Call
calls-call-label = Call { $phone }
calls-blacklist = Blacklist
calls-blacklist-label = Blacklist { $phone }
calls-blacklist-confirm = Refuse every call from this number from now on?
calls-dialing = Your phone will ring first: pick it up to call { $phone }.
calls-dialing-ext = (extension { $extension })
calls-blacklisted = { $phone } is blacklisted: its calls are refused from now on.
calls-already-blacklisted = { $phone } was already blacklisted.
calls-blacklisted-by = Blacklisted from the card by { $name }

## Why a call could not be placed
calls-error-title = The call could not be placed
calls-error-no_integration = No telephony is set up yet. An administrator connects the PBX in Settings → Telephony.
calls-error-no_extension = You have no PBX extension yet. An administrator assigns you one in Settings → Telephony.
calls-error-bad_number = This is not a phone number that can be dialled. Check the number and try again.
calls-error-no_money = The PBX account has run out of money. An administrator tops up the balance with the PBX provider.
calls-error-wrong_number = The PBX refused this number. Check it (with the country code) and try again.
calls-error-pbx_unreachable = The PBX cannot be reached right now. Try again in a minute; if it persists, an administrator checks the telephony settings.
calls-error-settings_unreadable = The telephony settings are damaged. An administrator saves them again (with the key and secret) in Settings → Telephony.
calls-error-other = The PBX refused the call: { $message }

## The pop-up
calls-incoming = Incoming call
calls-outgoing = Outgoing call
calls-talking = In conversation
calls-ended = Call ended
calls-missed = Missed call
calls-close = Close
calls-unknown-number = Unknown number
calls-responsible = Responsible
calls-our-number = Called number
calls-create-contact = Create contact
calls-call-back = Call back

## The call's result
calls-result-label = Call result
calls-result-lead = Link to lead
calls-result-lead-none = Don't link
calls-result-lead-new = Create a new lead
calls-result-lead-name = New lead's name
calls-result-card = On the card of
calls-result-save = Save the result
calls-result-saved = Saved on the call's note.
calls-feed-result = Result:
error-NoCard = The call has no contact yet: create the contact first.

## The live board
calls-board-title = Live board
calls-board-hint = Who is on a call right now. Updates by itself.
calls-board-empty = No managers to show.
calls-board-manager = Manager
calls-board-state = State
calls-board-with = With
calls-board-for = For
calls-board-missed = Missed today
calls-board-ext = ext. { $extension }
calls-board-free = Free
calls-board-ringing = Ringing
calls-board-talking = On a call
