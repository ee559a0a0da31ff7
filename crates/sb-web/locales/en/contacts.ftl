# Contacts pages (ui/contacts.rs; the pages themselves are in ui/cards.rs).
contacts-title = Contacts
contacts-new = New contact
contacts-edit = Edit contact
contacts-empty = No contacts yet. Create the first one.
contacts-delete-confirm = Delete this contact? It leaves lists, search and caller ID.
