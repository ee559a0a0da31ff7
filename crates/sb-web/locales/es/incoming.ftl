# Incoming leads (ui/incoming.rs) — Español.

## Incoming leads
incoming-title = Leads entrantes
incoming-waiting = { $count ->
    [one] { $count } en espera
   *[other] { $count } en espera
}
incoming-empty = No hay nada pendiente. Aquí llegan las llamadas de números desconocidos y los formularios web.
incoming-pipeline = Embudo
incoming-all-pipelines = Todos los embudos
incoming-source = Origen
incoming-all-sources = Todos los orígenes
incoming-source-sip = Llamada
incoming-source-forms = Formulario
incoming-lead-number = Lead n.º { $id }
incoming-received = Recibido
incoming-price = Presupuesto
incoming-contact = Contacto
incoming-company = Empresa
incoming-calls = Llamadas
incoming-call-in = Llamada entrante de
incoming-call-out = Llamada saliente a
incoming-duration = duración
incoming-called-number = número marcado
incoming-recording = Grabación de la llamada
incoming-recording-open = Abrir la grabación
incoming-no-recording = Sin grabación
incoming-stage = Etapa
incoming-responsible = Responsable
incoming-responsible-me = Yo (o su responsable actual)
incoming-accept = Aceptar
incoming-decline = Rechazar como spam
incoming-decline-confirm = ¿Rechazar este lead como spam? Se cerrará como perdido.
incoming-link = Vincular a un lead
incoming-pages = Páginas
incoming-done-accepted = Se aceptó el lead.
incoming-done-declined = Se rechazó el lead y se cerró como perdido.
incoming-done-linked = La llamada aparece ahora en el lead elegido.
incoming-link-title = Vincular a un lead existente
incoming-link-find = Buscar el lead
incoming-link-hint = La llamada pasa al lead que elija, quien llamó pasa a ser uno de sus contactos y este lead entrante se cierra.
incoming-link-search = Nombre del lead o teléfono
incoming-link-none = Ningún lead coincide.
incoming-link-here = Vincular aquí
