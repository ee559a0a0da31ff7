# Contacts pages (ui/contacts.rs; the pages themselves are in ui/cards.rs).
contacts-title = Contacts
contacts-new = New contact
contacts-edit = Edit contact
contacts-empty = No contacts yet. Create the first one.
