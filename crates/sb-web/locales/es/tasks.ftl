# Tareas: la lista, el formulario de alta, completar con un resultado, las tareas de la ficha.
tasks-title = Tareas
tasks-new = Nueva tarea
tasks-text = Qué hay que hacer
tasks-type = Tipo
tasks-type-follow-up = Seguimiento
tasks-type-meeting = Reunión
tasks-responsible = Responsable
tasks-deadline = Fecha límite
tasks-about = Sobre
tasks-about-lead = Oportunidad
tasks-about-contact = Contacto
tasks-about-company = Empresa
tasks-create = Crear tarea
tasks-filters = Filtrar tareas
tasks-filter-mine = Mis tareas
tasks-filter-everyone = Todos
tasks-filter-status = Mostrar
tasks-status-open = Pendientes
tasks-status-done = Completadas
tasks-overdue = Vencidas
tasks-today = Hoy
tasks-later = Más adelante
tasks-count = { $count ->
    [one] { $count } tarea
   *[other] { $count } tareas
}
tasks-result = Resultado
tasks-result-of = Resultado de «{ $task }»
tasks-result-placeholder = Resultado (nota en la ficha)
tasks-complete = Completar
tasks-done = Hecha
tasks-empty-open = No hay tareas pendientes. Crea una con el formulario o desde una ficha.
tasks-empty-group = Nada por aquí.
tasks-empty-done = Aún no hay tareas completadas. Completa una de las pendientes.
tasks-pages = Páginas de tareas
tasks-card-title = Tareas
tasks-card-empty = Esta ficha no tiene tareas pendientes. Añade una abajo.
tasks-card-none = Esta ficha no tiene tareas pendientes.
