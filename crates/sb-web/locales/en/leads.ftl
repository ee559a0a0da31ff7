## Leads: board, list and card
leads-board-title = Pipeline
leads-board-link = Board
leads-board-help = Drag a lead card to another stage, or open "Move" on a card to choose the stage.
leads-list-link = List
leads-list-title = Leads
leads-pipeline = Pipeline
leads-pipeline-show = Show
leads-incoming-waiting = { $count ->
    [one] One incoming lead is waiting in the inbox.
   *[other] { $count } incoming leads are waiting in the inbox.
}
leads-count = { $count ->
    [one] { $count } lead
   *[other] { $count } leads
}
leads-column-empty = No leads here yet. Add one below or drag one in.
leads-column-more = Show all leads of this stage
leads-move = Move
leads-move-label = Stage for { $name }
leads-move-button = Move
leads-move-invalid = Choose a lead and a stage.
leads-quick-name = New lead's name
leads-quick-price = Price
leads-quick-add = Add lead
leads-unnamed = Lead #{ $id }
leads-error-price = Enter the price as a number, such as 1500 or 1500.50.
leads-filters = Filter leads
leads-filter-search = Search
leads-filter-stage = Stage
leads-filter-responsible = Responsible
leads-filter-tag = Tag
leads-filter-any = Any
leads-filter-created-from = Created from
leads-filter-created-to = Created until
leads-filter-price-from = Price from
leads-filter-price-to = Price up to
leads-sort = Sort by
leads-sort-newest = Newest first
leads-sort-oldest = Oldest first
leads-sort-updated = Recently changed
leads-sort-id = Number
leads-list-empty = No leads yet. Add the first one on the board.
leads-list-none-found = No lead matches these filters. Change or clear them.
leads-pages = Pages
leads-col-name = Name
leads-col-stage = Stage
leads-col-price = Price
leads-col-contact = Contact
leads-col-responsible = Responsible
leads-col-tags = Tags
leads-col-created = Created
leads-updated = Changed
leads-closed = Closed
leads-card-about = Details
leads-card-links = Contacts and company
leads-contacts = Contacts
leads-contact = Contact
leads-company = Company
leads-no-contacts = No contact linked yet. Find one below to link it.
leads-no-company = No company linked yet.
leads-main-contact = main
leads-unlink = Unlink
leads-unlink-named = Unlink { $name }
leads-link = Link
leads-link-named = Link { $name }
leads-link-invalid = Choose a contact or a company to link.
leads-find-link = Find a contact or company to link
leads-find-none = Nothing found. Try another name, e-mail or phone.
leads-edit = Edit lead
leads-tags-hint = Separate tags with commas.
leads-saved = The lead was saved.
leads-delete-confirm = Delete this lead?
leads-feed = Feed
