## Leads: tablero, lista y ficha
leads-board-title = Embudo
leads-board-link = Tablero
leads-board-help = Arrastra una tarjeta a otra etapa, o abre «Mover» en una tarjeta para elegir la etapa.
leads-list-link = Lista
leads-list-title = Leads
leads-pipeline = Embudo
leads-pipeline-show = Mostrar
leads-incoming-waiting = { $count ->
    [one] Un lead entrante espera en la bandeja.
   *[other] { $count } leads entrantes esperan en la bandeja.
}
leads-count = { $count ->
    [one] { $count } lead
   *[other] { $count } leads
}
leads-column-empty = Aún no hay leads aquí. Añade uno abajo o arrastra uno.
leads-column-more = Ver todos los leads de esta etapa
leads-move = Mover
leads-move-label = Etapa de { $name }
leads-move-button = Mover
leads-move-invalid = Elige un lead y una etapa.
leads-quick-name = Nombre del nuevo lead
leads-quick-price = Importe
leads-quick-add = Añadir lead
leads-unnamed = Lead n.º { $id }
leads-error-price = Escribe el importe como número, por ejemplo 1500 o 1500,50.
leads-filters = Filtrar leads
leads-filter-search = Buscar
leads-filter-stage = Etapa
leads-filter-responsible = Responsable
leads-filter-tag = Etiqueta
leads-filter-any = Cualquiera
leads-filter-created-from = Creado desde
leads-filter-created-to = Creado hasta
leads-filter-price-from = Importe desde
leads-filter-price-to = Importe hasta
leads-sort = Ordenar por
leads-sort-newest = Más recientes primero
leads-sort-oldest = Más antiguos primero
leads-sort-updated = Cambiados recientemente
leads-sort-id = Número
leads-list-empty = Aún no hay leads. Añade el primero en el tablero.
leads-list-none-found = Ningún lead coincide con estos filtros. Cámbialos o bórralos.
leads-pages = Páginas
leads-col-name = Nombre
leads-col-stage = Etapa
leads-col-price = Importe
leads-col-contact = Contacto
leads-col-responsible = Responsable
leads-col-tags = Etiquetas
leads-col-created = Creado
leads-updated = Modificado
leads-closed = Cerrado
leads-card-about = Datos
leads-card-links = Contactos y empresa
leads-contacts = Contactos
leads-contact = Contacto
leads-company = Empresa
leads-no-contacts = Aún no hay contactos vinculados. Busca uno abajo para vincularlo.
leads-no-company = Aún no hay empresa vinculada.
leads-main-contact = principal
leads-unlink = Desvincular
leads-unlink-named = Desvincular { $name }
leads-link = Vincular
leads-link-named = Vincular { $name }
leads-link-invalid = Elige un contacto o una empresa para vincular.
leads-find-link = Buscar un contacto o empresa para vincular
leads-find-none = No se encontró nada. Prueba con otro nombre, correo o teléfono.
leads-edit = Editar lead
leads-tags-hint = Separa las etiquetas con comas.
leads-saved = El lead se guardó.
leads-delete-confirm = ¿Eliminar este lead?
leads-feed = Historial
