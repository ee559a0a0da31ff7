# Tarefas: a lista, o formulário de criação, concluir com um resultado, as tarefas do cartão.
tasks-title = Tarefas
tasks-new = Nova tarefa
tasks-text = O que fazer
tasks-type = Tipo
tasks-type-follow-up = Acompanhamento
tasks-type-meeting = Reunião
tasks-responsible = Responsável
tasks-deadline = Prazo
tasks-about = Sobre
tasks-about-lead = Negócio
tasks-about-contact = Contato
tasks-about-company = Empresa
tasks-create = Criar tarefa
tasks-filters = Filtrar tarefas
tasks-filter-mine = Minhas tarefas
tasks-filter-everyone = Todos
tasks-filter-status = Mostrar
tasks-status-open = Abertas
tasks-status-done = Concluídas
tasks-overdue = Atrasadas
tasks-today = Hoje
tasks-later = Depois
tasks-count = { $count ->
    [one] { $count } tarefa
   *[other] { $count } tarefas
}
tasks-result = Resultado
tasks-result-of = Resultado de “{ $task }”
tasks-result-placeholder = Resultado (nota no cartão)
tasks-complete = Concluir
tasks-done = Concluída
tasks-empty-open = Nenhuma tarefa aberta. Crie uma com o formulário ou a partir de um cartão.
tasks-empty-group = Nada aqui.
tasks-empty-done = Nenhuma tarefa concluída ainda. Conclua uma das abertas.
tasks-pages = Páginas de tarefas
tasks-card-title = Tarefas
tasks-card-empty = Nenhuma tarefa aberta neste cartão. Adicione uma abaixo.
tasks-card-none = Nenhuma tarefa aberta neste cartão.
