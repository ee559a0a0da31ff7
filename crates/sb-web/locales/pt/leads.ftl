## Leads: quadro, lista e ficha
leads-board-title = Funil
leads-board-link = Quadro
leads-board-help = Arraste um cartão para outra etapa, ou abra «Mover» num cartão para escolher a etapa.
leads-list-link = Lista
leads-list-title = Leads
leads-pipeline = Funil
leads-pipeline-show = Mostrar
leads-incoming-waiting = { $count ->
    [one] Um lead de entrada aguarda na caixa de entrada.
   *[other] { $count } leads de entrada aguardam na caixa de entrada.
}
leads-count = { $count ->
    [one] { $count } lead
   *[other] { $count } leads
}
leads-column-empty = Ainda não há leads aqui. Adicione um abaixo ou arraste um.
leads-column-more = Ver todos os leads desta etapa
leads-move = Mover
leads-move-label = Etapa de { $name }
leads-move-button = Mover
leads-move-invalid = Escolha um lead e uma etapa.
leads-quick-name = Nome do novo lead
leads-quick-price = Valor
leads-quick-add = Adicionar lead
leads-unnamed = Lead nº { $id }
leads-error-price = Digite o valor como número, por exemplo 1500 ou 1500,50.
leads-filters = Filtrar leads
leads-filter-search = Pesquisar
leads-filter-stage = Etapa
leads-filter-responsible = Responsável
leads-filter-tag = Etiqueta
leads-filter-any = Qualquer
leads-filter-created-from = Criado a partir de
leads-filter-created-to = Criado até
leads-filter-price-from = Valor a partir de
leads-filter-price-to = Valor até
leads-sort = Ordenar por
leads-sort-newest = Mais recentes primeiro
leads-sort-oldest = Mais antigos primeiro
leads-sort-updated = Alterados recentemente
leads-sort-id = Número
leads-list-empty = Ainda não há leads. Adicione o primeiro no quadro.
leads-list-none-found = Nenhum lead corresponde a estes filtros. Altere-os ou limpe-os.
leads-pages = Páginas
leads-col-name = Nome
leads-col-stage = Etapa
leads-col-price = Valor
leads-col-contact = Contato
leads-col-responsible = Responsável
leads-col-tags = Etiquetas
leads-col-created = Criado
leads-updated = Alterado
leads-closed = Fechado
leads-card-about = Dados
leads-card-links = Contatos e empresa
leads-contacts = Contatos
leads-contact = Contato
leads-company = Empresa
leads-no-contacts = Nenhum contato vinculado ainda. Procure um abaixo para vinculá-lo.
leads-no-company = Nenhuma empresa vinculada ainda.
leads-main-contact = principal
leads-unlink = Desvincular
leads-unlink-named = Desvincular { $name }
leads-link = Vincular
leads-link-named = Vincular { $name }
leads-link-invalid = Escolha um contato ou uma empresa para vincular.
leads-find-link = Procurar um contato ou empresa para vincular
leads-find-none = Nada encontrado. Tente outro nome, e-mail ou telefone.
leads-edit = Editar lead
leads-tags-hint = Separe as etiquetas com vírgulas.
leads-saved = O lead foi salvo.
leads-delete-confirm = Excluir este lead?
leads-feed = Histórico
