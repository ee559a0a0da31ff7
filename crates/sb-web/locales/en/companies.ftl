# Companies pages (ui/companies.rs; the pages themselves are in ui/cards.rs).
companies-title = Companies
companies-new = New company
companies-edit = Edit company
companies-empty = No companies yet. Create the first one.
companies-delete-confirm = Delete this company? It leaves lists, search and caller ID.
