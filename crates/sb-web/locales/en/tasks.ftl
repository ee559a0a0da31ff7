# Tasks: the list, the create form, completing with a result, the card's tasks.
tasks-title = Tasks
tasks-new = New task
tasks-text = What to do
tasks-type = Type
tasks-type-follow-up = Follow-up
tasks-type-meeting = Meeting
tasks-responsible = Responsible
tasks-deadline = Deadline
tasks-about = About
tasks-about-lead = Lead
tasks-about-contact = Contact
tasks-about-company = Company
tasks-create = Create task
tasks-filters = Filter tasks
tasks-filter-mine = My tasks
tasks-filter-everyone = Everyone
tasks-filter-status = Show
tasks-status-open = Open
tasks-status-done = Completed
tasks-overdue = Overdue
tasks-today = Today
tasks-later = Later
tasks-count = { $count ->
    [one] { $count } task
   *[other] { $count } tasks
}
tasks-result = Result
tasks-result-of = Result of “{ $task }”
tasks-result-placeholder = Result, noted on the card
tasks-complete = Complete
tasks-done = Done
tasks-empty-open = No open tasks. Create one with the form, or from a card.
tasks-empty-group = Nothing here.
tasks-empty-done = No completed tasks yet. Complete one from the open tasks.
tasks-pages = Pages of tasks
tasks-card-title = Tasks
tasks-card-empty = No open tasks for this card. Add one below.
tasks-card-none = No open tasks for this card.
