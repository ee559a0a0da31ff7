# Switchboard UI — English. Every key here exists in es.ftl, pt.ftl and hu.ftl too
# (a test checks). Group keys by page; shared words first.

## Shared
action-save = Save
action-cancel = Cancel
action-create = Create
action-edit = Edit
action-delete = Delete
action-add = Add
action-apply = Apply
action-clear = Clear
action-back = Back
page-prev = Previous
page-next = Next
page-of = Page { $page }
count-contacts = { $count ->
    [one] { $count } contact
   *[other] { $count } contacts
}

## Languages
lang-switch = Language
lang-en = English
lang-es = Español
lang-pt = Português
lang-hu = Magyar

## Navigation and header
nav-skip = Skip to content
nav-menu = Menu
nav-label = Sections
nav-dashboard = Dashboard
nav-leads = Leads
nav-contacts = Contacts
nav-companies = Companies
nav-tasks = Tasks
nav-incoming = Incoming leads
nav-settings = Settings
nav-users = Users and rights
nav-pipelines = Pipelines
nav-fields = Custom fields
nav-sign-out = Sign out
search-label = Search contacts, companies and leads
search-placeholder = Name, e-mail or phone
search-button = Search

## Sign-in
login-title = Sign in
login-email = E-mail
login-password = Password
login-submit = Sign in
login-wrong = Wrong e-mail or password.
login-expired = The sign-in form had expired. Please try again.
login-throttled = { $minutes ->
    [one] Too many failed attempts. Try again in a minute.
   *[other] Too many failed attempts. Try again in { $minutes } minutes.
}

## Dashboard
dashboard-title = Today
dashboard-welcome = Welcome to Switchboard.

## Profile
profile-title = My profile
profile-language = Language
profile-password = Password
profile-current-password = Current password
profile-new-password = New password (at least 8 characters)
profile-confirm-password = Repeat the new password
profile-change-password = Change password
profile-password-mismatch = The two new passwords differ.
profile-password-saved = Your password was changed. Your other sessions were signed out.

## Errors
error-back-home = Back to the dashboard
error-not-found-title = Not found
error-not-found = This record does not exist, or you don't have access to it.
error-no-page = There is no page at this address.
error-forbidden-title = Not allowed
error-forbidden = Your rights don't allow this. An administrator can change them.
error-invalid-title = Please check the input
error-conflict-title = Changed meanwhile
error-conflict = Someone changed this at the same time. Reload the page and try again.
error-upstream-title = The telephony service refused
error-internal-title = Something went wrong
error-internal = Something went wrong on our side. Try again; if it persists, the administrator will find the details in the server log.
error-csrf-title = Request refused
error-csrf = This form is out of date or came from another site. Reload the page and try again.
error-too-large-title = Too large
error-too-large = What was sent is larger than the server accepts. Shorten the text or send less at a time.
error-uri-too-long-title = Address too long
error-uri-too-long = This address is longer than the server accepts. Shorten the search or the filters.
error-RequiredFilled = This field is required.
error-InvalidType = This value has the wrong type.
error-NotSupportedChoice = Choose one of the offered values.
error-InvalidValue = This value is not valid.
error-InvalidLength = This value is too long or too short.
error-InvalidEmail = Enter a valid e-mail address.
error-NotFound = This record does not exist.
error-WrongPassword = The current password is wrong.
error-TooShort = Use at least 8 characters.
error-NotEditable = This can't be changed here.
